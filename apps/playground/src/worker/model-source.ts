import { mapFileSource, urlFileSource, type FileSource } from '@xlora/model';
import type { ModelSourceSpec } from '../shared/protocol.js';

/**
 * The FileSource the loader reads from: a web server below baseUrl (HTTP Range requests, one tensor at a time),
 * or the files the user picked or dropped (Blob.slice). `onNotice` hears a server that ignores Range.
 */
export function fileSourceFor(spec: ModelSourceSpec, onNotice: (message: string) => void): FileSource {
  return spec.kind === 'url' ? urlFileSource(spec.baseUrl, { onNotice }) : mapFileSource(new Map(spec.files));
}
