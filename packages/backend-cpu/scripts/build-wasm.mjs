// Assembles every WebAssembly kernel source into its TypeScript module (see wasm-source.mjs).
import { writeFileSync } from 'node:fs';
import { assemble, moduleText, WASM_KERNELS } from './wasm-source.mjs';

for (const kernel of WASM_KERNELS) {
  const binary = await assemble(kernel.wat);
  writeFileSync(kernel.module, moduleText(kernel, binary));
  console.log(`${kernel.module}: ${binary.length} bytes`);
}
