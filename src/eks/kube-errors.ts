import {
  BadGatewayException,
  BadRequestException,
  ConflictException,
  HttpException,
  HttpStatus,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { appError } from '../common/errors/error-codes';
import { apiStatusOf, KubeNotConfiguredError, KubeUnreachableError } from '../infra/kubernetes';

/** The API server's own message from a Status body (client-node gives it as a JSON string). */
export function statusMessage(e: unknown): string | undefined {
  const body = (e as { body?: unknown }).body;
  try {
    const parsed = typeof body === 'string' ? JSON.parse(body) : body;
    return typeof parsed?.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Kubernetes outcomes as this API's errors: the caller's mistakes keep their meaning (404, 409,
 * 422 → 400), ours do not leak as the caller's (403 → 502: our RBAC is wrong), outages are 503.
 */
export function mapKubeError(e: unknown): unknown {
  if (e instanceof HttpException) return e;
  if (e instanceof KubeNotConfiguredError)
    return appError(HttpStatus.SERVICE_UNAVAILABLE, 'KUBERNETES_NOT_CONFIGURED', e.message);
  if (e instanceof KubeUnreachableError) {
    return new ServiceUnavailableException(
      `Kubernetes API is unavailable, retry later (${e.message})`,
    );
  }
  const status = apiStatusOf(e);
  if (status === undefined) return e;
  const message = statusMessage(e) ?? `Kubernetes API answered ${status}`;
  switch (status) {
    case 404:
      return new NotFoundException(message);
    case 409:
      return new ConflictException(message);
    case 400:
    case 422:
      return new BadRequestException(message);
    case 401:
      return new BadGatewayException(
        `Kubernetes API rejected platform-api's credentials: ${message}`,
      );
    case 403:
      // NamespaceLifecycle admission: the namespace is being deleted. The state of the resource,
      // not our RBAC: a 409 the caller can act on (wait, or use another namespace).
      if (/because it is being terminated/.test(message))
        return appError(HttpStatus.CONFLICT, 'EKS_NAMESPACE_TERMINATING', message);
      return new BadGatewayException(
        `Kubernetes API refused platform-api (its RBAC lacks a permission, see docs/eks.md): ${message}`,
      );
    case 429:
    case 500:
    case 503:
    case 504:
      return new ServiceUnavailableException(
        `Kubernetes API is unavailable, retry later: ${message}`,
      );
    default:
      return new BadGatewayException(`Kubernetes API answered ${status}: ${message}`);
  }
}

/** 400 listing every policy violation, each as a field error of the common shape. */
export function policyException(
  violations: { path: string; message: string }[],
): BadRequestException {
  return new BadRequestException({
    message: `Rejected by the job policy (${violations.length} violation${violations.length === 1 ? '' : 's'}): ${violations
      .map((v) => `${v.path || '(manifest)'}: ${v.message}`)
      .join('; ')}`,
    errors: violations.map((v) => ({ field: v.path, messages: [v.message] })),
  });
}
