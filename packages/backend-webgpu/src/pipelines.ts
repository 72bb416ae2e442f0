import { BackendError } from '@xlora/core';

const STAGE_COMPUTE = 0x4;

/** A WGSL kernel: `code` declares binding 0 as the uniform params and bindings 1.. as storage, in `storage` order. */
export interface KernelSpec {
  /** cache key: the kernel name plus everything that changes its code */
  key: string;
  /** kernel file/name, for errors ("matmul-gemv") */
  name: string;
  code: string;
  storage: readonly ('read' | 'write')[];
}

export interface Kernel {
  spec: KernelSpec;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  layoutId: number;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Compiles kernels once per device (by key) and checks the WGSL compiler's messages. */
export class PipelineCache {
  private readonly ready = new Map<string, Kernel>();
  private readonly pending = new Map<string, Promise<Kernel>>();
  private readonly layouts = new Map<string, { layout: GPUBindGroupLayout; pipelineLayout: GPUPipelineLayout; id: number }>();
  /** kernels compiled, for tests and benchmarks */
  compiled = 0;

  constructor(private readonly device: GPUDevice) {}

  get(key: string): Kernel | undefined {
    return this.ready.get(key);
  }

  ensure(spec: KernelSpec): Promise<Kernel> {
    const done = this.ready.get(spec.key);
    if (done) return Promise.resolve(done);
    let p = this.pending.get(spec.key);
    if (!p) {
      p = this.build(spec).then((k) => {
        this.ready.set(spec.key, k);
        this.pending.delete(spec.key);
        return k;
      }, (err) => {
        this.pending.delete(spec.key);
        throw err;
      });
      this.pending.set(spec.key, p);
    }
    return p;
  }

  private layoutFor(storage: readonly ('read' | 'write')[]) {
    const sig = storage.join(',');
    let l = this.layouts.get(sig);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: STAGE_COMPUTE, buffer: { type: 'uniform' } }];
      storage.forEach((s, i) => entries.push({
        binding: i + 1, visibility: STAGE_COMPUTE, buffer: { type: s === 'read' ? 'read-only-storage' : 'storage' },
      }));
      const layout = this.device.createBindGroupLayout({ entries, label: `xlora(${sig})` });
      const pipelineLayout = this.device.createPipelineLayout({ bindGroupLayouts: [layout] });
      l = { layout, pipelineLayout, id: this.layouts.size + 1 };
      this.layouts.set(sig, l);
    }
    return l;
  }

  private async build(spec: KernelSpec): Promise<Kernel> {
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: spec.code, label: spec.name });
    const layout = this.layoutFor(spec.storage);
    const scope = device.popErrorScope();
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      const where = errors.map((m) => `line ${m.lineNum}:${m.linePos}: ${m.message}`).join('; ');
      throw new BackendError(`WGSL kernel "${spec.name}" (${spec.key}) failed to compile: ${where}`);
    }
    const scopeErr = await scope;
    if (scopeErr) throw new BackendError(`WGSL kernel "${spec.name}" (${spec.key}) failed to compile: ${scopeErr.message}`);
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await device.createComputePipelineAsync({
        layout: layout.pipelineLayout, compute: { module, entryPoint: 'main' }, label: spec.name,
      });
    } catch (err) {
      throw new BackendError(`WGSL kernel "${spec.name}" (${spec.key}): pipeline creation failed: ${errText(err)}`, { cause: err });
    }
    this.compiled++;
    return { spec, pipeline, layout: layout.layout, layoutId: layout.id };
  }
}
