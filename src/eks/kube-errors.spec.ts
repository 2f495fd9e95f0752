import { type HttpException, HttpStatus } from '@nestjs/common';
import { KubeNotConfiguredError, KubeUnreachableError } from '../infra/kubernetes/kube-api';
import { mapKubeError } from './kube-errors';

class ApiException extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP-Code: ${code}`);
  }
}
const statusOf = (e: unknown) => (mapKubeError(e) as { getStatus(): number }).getStatus();

describe('mapKubeError', () => {
  it.each([
    [404, HttpStatus.NOT_FOUND],
    [409, HttpStatus.CONFLICT],
    [422, HttpStatus.BAD_REQUEST],
    [401, HttpStatus.BAD_GATEWAY],
    [403, HttpStatus.BAD_GATEWAY],
    [500, HttpStatus.SERVICE_UNAVAILABLE],
  ])('API server %i → %i', (code, expected) => {
    expect(statusOf(new ApiException(code, JSON.stringify({ kind: 'Status', message: 'm' })))).toBe(
      expected,
    );
  });

  it('keeps the API server message and maps outages and disabled mode to 503', () => {
    const e = mapKubeError(
      new ApiException(422, JSON.stringify({ message: 'spec.x: Invalid value' })),
    ) as Error;
    expect(e.message).toBe('spec.x: Invalid value');
    expect(statusOf(new KubeUnreachableError('refused'))).toBe(503);
    const disabled = mapKubeError(new KubeNotConfiguredError()) as HttpException;
    expect(disabled.getStatus()).toBe(503);
    expect(disabled.message).toMatch(/^Kubernetes is not configured: set K8S_AUTH /);
    expect(disabled.getResponse()).toMatchObject({ code: 'KUBERNETES_NOT_CONFIGURED' });
  });

  it('leaves unknown errors alone (they are 500 and logged)', () => {
    const e = new RangeError('bug');
    expect(mapKubeError(e)).toBe(e);
  });
});
