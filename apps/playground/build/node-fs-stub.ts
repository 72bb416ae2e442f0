/**
 * Stands in for node:fs/promises in the browser bundle. @xlora/model imports it lazily, only inside
 * nodeFileSource, which the playground never calls (it reads files with urlFileSource / mapFileSource).
 */
const unavailable = (): never => {
  throw new Error('node:fs is not available in a browser: load files with urlFileSource or mapFileSource');
};
export const stat = unavailable;
export const open = unavailable;
export const readFile = unavailable;
export default { stat, open, readFile };
