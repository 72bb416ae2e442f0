import type { FileSource } from '../loading/file-source.js';
import { loadTokenizer, type HfTextTokenizer } from '../loading/load-tokenizer.js';
import { mapFileSource } from '../loading/map-file-source.js';
import { joinPath, normalizePath } from '../loading/posix-path.js';
import { openGguf, type GgufFile } from './gguf-file.js';
import { GgufMetadata } from './gguf-metadata.js';
import { ggufTokenizerFiles } from './gguf-tokenizer-json.js';

const utf8 = new TextEncoder();

/** The tokenizer of a GGUF file's metadata (null when it has none), loaded exactly as a tokenizer.json folder is. */
export async function ggufTextTokenizer(gguf: GgufFile): Promise<HfTextTokenizer | null> {
  const files = ggufTokenizerFiles(new GgufMetadata(gguf.metadata, gguf.file));
  if (files === null) return null;
  // messages name "<file>#tokenizer.ggml/tokenizer.json" etc.
  const dir = `${gguf.file}#tokenizer.ggml`;
  const src = mapFileSource({
    [`${dir}/tokenizer.json`]: utf8.encode(JSON.stringify(files.tokenizerJson)),
    [`${dir}/tokenizer_config.json`]: utf8.encode(JSON.stringify(files.tokenizerConfig)),
  });
  return loadTokenizer(src, dir);
}

/** The tokenizer of a GGUF base model: tokenizer.json beside the file when there is one, else the file's metadata. */
export async function loadGgufTokenizer(src: FileSource, path: string, gguf?: GgufFile): Promise<HfTextTokenizer | null> {
  const dir = normalizePath(path).split('/').slice(0, -1).join('/');
  if (await src.exists(joinPath(dir, 'tokenizer.json'))) return loadTokenizer(src, dir);
  if (gguf) return ggufTextTokenizer(gguf);
  const opened = await openGguf(src, path);
  try {
    return await ggufTextTokenizer(opened);
  } finally {
    await opened.close();
  }
}
