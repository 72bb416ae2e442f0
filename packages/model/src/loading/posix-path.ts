/**
 * POSIX-style path helpers for FileSource paths: "/" separators, "." and ".." resolved lexically, a leading "/"
 * (or a Windows drive like "C:/") marks an absolute path. Leading ".." of a relative path are kept.
 */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path);
}

export function normalizePath(path: string): string {
  const unified = path.replace(/\\/g, '/');
  const drive = /^[A-Za-z]:\//.exec(unified)?.[0] ?? '';
  const rest = unified.slice(drive.length);
  const absolute = drive !== '' || rest.startsWith('/');
  const out: string[] = [];
  for (const part of rest.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(part);
  }
  const body = out.join('/');
  if (drive) return drive + body;
  return absolute ? `/${body}` : body;
}

/** Joins path parts; an absolute part discards what came before it (like path.resolve). '' means "here". */
export function joinPath(...parts: string[]): string {
  let acc = '';
  for (const part of parts) {
    if (part === '') continue;
    acc = isAbsolutePath(part) || acc === '' ? part : `${acc}/${part}`;
  }
  return normalizePath(acc);
}

export function basename(path: string): string {
  const n = normalizePath(path);
  return n.slice(n.lastIndexOf('/') + 1);
}
