/** What a browser-test page publishes on window.__xloraResult when it is done. */
export interface PageResult {
  device?: string;
  cases: { name: string; ms: number; failures: string[] }[];
  error?: string;
}

declare global {
  interface Window {
    __xloraResult?: PageResult;
  }
}
