import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest } from './api-error.js';

const tooLarge = (limit: number) => new ApiError(413, `the request body is larger than the limit of ${limit} bytes (--max-body-bytes)`, 'invalid_request_error', null, 'body_too_large');

/** Reads the body (at most `limit` bytes: 413 beyond) and parses it as a JSON object (400 otherwise). */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // drain: the reply still goes out on this connection
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('the request body must be a JSON object');
  return value as Record<string, unknown>;
}
