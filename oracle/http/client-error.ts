/**
 * Issue 19 §12b: requests that never reach Express (over Node's header limit, malformed HTTP,
 * headers too slow) used to get Node's bare `431`/`400`/`408` without a body or the security
 * headers. The server's `clientError` event answers them here, as every other error is answered:
 * `{ "error": { "code", "message" } }` with `SECURITY_HEADERS`, then closes the connection (the
 * parser's state is unknown after such an error).
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { statusByCode, type ErrorCode } from '../errors.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

function answerOf(code: string | undefined): { code: ErrorCode; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        code: 'headers_too_large',
        message: 'the request headers are larger than the server accepts',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request_timeout', message: 'the request did not arrive in time' };
    default:
      return { code: 'malformed_request', message: 'the request is not valid HTTP/1.1' };
  }
}

/** The raw HTTP response for a client error `err` (exported for the test). */
export function clientErrorResponse(err: { code?: string }): string {
  const a = answerOf(err.code);
  const status = statusByCode[a.code];
  const body = JSON.stringify({ error: { code: a.code, message: a.message } });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    ...Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}`),
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/** The `clientError` listener: answers when the socket can still be written, else drops it. */
export function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  // As Node's own handler (lib/_http_server.js socketOnError): no answer on a reset socket, or
  // where a response in flight has already written its head (the peer would read garbage).
  const inFlight = (socket as { _httpMessage?: { _headerSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?._headerSent === true) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(err));
}
