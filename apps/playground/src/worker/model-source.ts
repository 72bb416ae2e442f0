import { InputError } from '@xlora/core';
import { joinPath, mapFileSource, urlFileSource, type FileSource } from '@xlora/model';
import type { ModelSourceSpec } from '../shared/protocol.js';

/**
 * The FileSource the loader reads from: a web server below baseUrl (HTTP Range requests, one tensor at a time),
 * or the files the user picked or dropped (Blob.slice). `onNotice` hears a server that ignores Range.
 */
export function fileSourceFor(spec: ModelSourceSpec, onNotice: (message: string) => void): FileSource {
  return spec.kind === 'url' ? urlFileSource(spec.baseUrl, { onNotice }) : mapFileSource(new Map(spec.files));
}

/**
 * Over HTTP a folder cannot be listed, so the loader cannot find the one .gguf of a folder there: a base folder
 * without config.json gets an error that says to name the file. (Picked files can be listed: no check needed.)
 */
export async function checkUrlBase(src: FileSource, spec: ModelSourceSpec): Promise<void> {
  if (spec.kind !== 'url' || /\.gguf$/i.test(spec.baseDir)) return;
  const config = joinPath(spec.baseDir, 'config.json');
  if (await src.exists(config)) return;
  throw new InputError(`${src.describe(config)}: file not found (for a GGUF base over a URL, name the .gguf file itself, e.g. base/model.gguf: a web server cannot list a folder)`);
}
