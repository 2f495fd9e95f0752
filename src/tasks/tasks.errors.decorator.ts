import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiServiceUnavailableResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

/** Error responses every tasks route can give (common error shape): the tasks, schedules and workers controllers. */
export const TaskRouteErrors = () =>
  applyDecorators(
    ApiUnauthorizedResponse({ description: 'Missing or invalid X-API-Key' }),
    ApiBadRequestResponse({ description: 'Invalid input; the field is named' }),
    ApiServiceUnavailableResponse({ description: 'Redis is unavailable; retry later' }),
  );
