import { applyDecorators } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiServiceUnavailableResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

/** Error responses every Kubernetes-backed route can give (common error shape). */
export const KubeErrorResponses = () =>
  applyDecorators(
    ApiBadRequestResponse({
      description:
        'Invalid input, a policy violation (each listed in `errors`), or rejected by the API server (422)',
    }),
    ApiUnauthorizedResponse({ description: 'Missing or invalid X-API-Key' }),
    ApiForbiddenResponse({
      description: 'The namespace or job is not managed by platform-api, or is protected',
    }),
    ApiNotFoundResponse({ description: 'No such namespace or job' }),
    ApiBadGatewayResponse({
      description: 'The API server refused platform-api (RBAC or credentials)',
    }),
    ApiServiceUnavailableResponse({
      description: 'Kubernetes is not configured, or the API server is unreachable',
    }),
  );
