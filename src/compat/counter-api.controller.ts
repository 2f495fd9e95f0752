import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthErrors } from '../common/auth/auth-errors.decorator';
import { CounterService } from '../counter';
import { CounterApiErrorDto, CounterApiReadDto, CounterApiWriteDto } from './dto/counter-api.dto';
import { RequireScope } from '../common/auth/scope.decorator';

/** counter-api had one counter; it is the counter named `default` here. */
export const LEGACY_COUNTER = 'default';

/** counter-api's routes and bodies, unchanged for its clients (its 401/403 bodies included). */
@ApiTags('compat: counter-api')
@AuthErrors({
  missing: { status: 401, body: { error: 'API key required' } },
  invalid: { status: 403, body: { error: 'Invalid API key' } },
  forbidden: (scope) => ({ error: `API key lacks the scope ${scope}` }),
})
@ApiUnauthorizedResponse({
  type: CounterApiErrorDto,
  description: 'No X-API-Key: `{"error":"API key required"}`',
})
@ApiForbiddenResponse({
  type: CounterApiErrorDto,
  description:
    'Wrong X-API-Key: `{"error":"Invalid API key"}`; a key without the scope: `{"error":"API key lacks the scope counters:write"}`',
})
@ApiServiceUnavailableResponse({ description: 'Redis is unavailable (common error shape)' })
@Controller()
export class CounterApiController {
  constructor(private readonly counters: CounterService) {}

  @Get('read')
  @RequireScope('counters:read')
  @ApiOperation({ summary: 'Read the counter (use GET /v1/counters/{name})', deprecated: true })
  @ApiOkResponse({ type: CounterApiReadDto })
  async read(): Promise<CounterApiReadDto> {
    const { value } = await this.counters.get(LEGACY_COUNTER);
    return { value, timestamp: new Date().toISOString() };
  }

  @Post('write')
  @RequireScope('counters:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add 1 (use POST /v1/counters/{name}/increment)', deprecated: true })
  @ApiOkResponse({ type: CounterApiWriteDto })
  async write(): Promise<CounterApiWriteDto> {
    const { value } = await this.counters.increment(LEGACY_COUNTER);
    return { value, operation: 'increment', timestamp: new Date().toISOString() };
  }

  @Post('reset')
  @RequireScope('counters:write')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Set the counter to 0 (use POST /v1/counters/{name}/reset)',
    deprecated: true,
  })
  @ApiOkResponse({ type: CounterApiWriteDto })
  async reset(): Promise<CounterApiWriteDto> {
    const { value } = await this.counters.reset(LEGACY_COUNTER);
    return { value, operation: 'reset', timestamp: new Date().toISOString() };
  }
}
