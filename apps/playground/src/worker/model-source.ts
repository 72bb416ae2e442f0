import { mapFileSource, urlFileSource, type FileSource } from '@xlora/model';
import type { ModelSourceSpec } from '../shared/protocol.js';

/** The FileSource the loader reads from: a web server below baseUrl, or the files the user picked or dropped. */
export function fileSourceFor(spec: ModelSourceSpec): FileSource {
  return spec.kind === 'url' ? urlFileSource(spec.baseUrl) : mapFileSource(new Map(spec.files));
}
