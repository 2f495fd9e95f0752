import { NodeHttpHandler } from '@smithy/node-http-handler';

/** A TCP connection that is not established within this long fails the attempt. */
export const AWS_CONNECTION_TIMEOUT_MS = 1000;
/** The SDK's attempts per call (one retry, with its own short jittered backoff). */
export const AWS_MAX_ATTEMPTS = 2;

/**
 * The HTTP handler of every AWS client. `requestTimeout` alone only logs a warning in
 * @smithy/node-http-handler 4.x: `throwOnRequestTimeout` makes it a deadline that destroys the
 * socket and fails the attempt with a TimeoutError (a dependency that accepts the connection and
 * never answers, or answers half and stalls). The timeout runs from the start of the attempt.
 * One call therefore takes at most AWS_MAX_ATTEMPTS × (connection + request timeout) + backoff.
 */
export function boundedHttpHandler(requestTimeoutMs: number): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
  });
}
