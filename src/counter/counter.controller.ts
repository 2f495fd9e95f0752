import {
  Body,
  Controller,
  createParamDecorator,
  Get,
  HttpCode,
  Param,
  Post,
  type ExecutionContext,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN, NAME_PATTERN } from './counter.rules';
import { CounterService } from './counter.service';
import { CounterDto } from './dto/counter.dto';
import { IncrementCounterDto } from './dto/increment-counter.dto';
import { IncrementBodyPipe, type IncrementInput } from './increment-body.pipe';
import { RequireScope } from '../common/auth/scope.decorator';
import { FusedRateLimit } from '../common/rate-limit/rate-limit-group.decorator';
import { FusedLimitOf, type FusedLimit } from '../common/rate-limit/rate-limiter';

const IdempotencyHeader = () =>
  ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source, maxLength: 128 },
    description:
      '1-128 visible ASCII characters. A retry with the same key and request returns the first response ' +
      'without applying again; the same key with another request answers 422. Keys expire after ' +
      'COUNTER_IDEMPOTENCY_TTL_SECONDS.',
  });

/**
 * The Idempotency-Key header, read under its one documented name (ApiHeader above). Not
 * `@Headers('idempotency-key')`: Swagger documents that as a second, required header.
 */
const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined => {
    const value = ctx.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers[
      IDEMPOTENCY_KEY_HEADER.toLowerCase()
    ];
    return value as string | undefined; // the service validates it (an array is a 400)
  },
);

/** The service validates the name (400 naming `name`); a DTO here would validate it twice. */
const NameParam = () =>
  ApiParam({
    name: 'name',
    schema: { type: 'string', pattern: NAME_PATTERN.source },
    example: 'page-views',
    description: 'Counter name',
  });

@ApiTags('counters')
@ApiUnauthorizedResponse({ description: 'Missing or invalid X-API-Key' })
@ApiBadRequestResponse({ description: 'Invalid name, body or Idempotency-Key; the field is named' })
@ApiServiceUnavailableResponse({ description: 'Redis is unavailable; retry later' })
@Controller('v1/counters')
export class CounterController {
  constructor(private readonly counters: CounterService) {}

  @Get(':name')
  @RequireScope('counters:read')
  @NameParam()
  @ApiOperation({ summary: 'Read a counter (0 if it was never written; reading never writes)' })
  @ApiOkResponse({ type: CounterDto })
  get(@Param('name') name: string): Promise<CounterDto> {
    return this.counters.get(name);
  }

  @Post(':name/increment')
  @RequireScope('counters:write')
  @FusedRateLimit()
  @HttpCode(200)
  @NameParam()
  @ApiBody({ type: IncrementCounterDto, required: false })
  @ApiOperation({ summary: 'Add `by` (default 1) atomically and return the new value' })
  @IdempotencyHeader()
  @ApiOkResponse({ type: CounterDto })
  @ApiUnprocessableEntityResponse({
    description: 'Idempotency-Key reused with another request, or the result would leave ±(2^53−1)',
  })
  increment(
    @Param('name') name: string,
    // An interface type, so the global pipe skips it: IncrementBodyPipe validates.
    @Body(IncrementBodyPipe) body: IncrementInput,
    @IdempotencyKey() idempotencyKey?: string,
    @FusedLimitOf() rateLimit?: FusedLimit,
  ): Promise<CounterDto> {
    return this.counters.increment(name, body.by ?? 1, idempotencyKey, rateLimit);
  }

  @Post(':name/reset')
  @RequireScope('counters:write')
  @HttpCode(200)
  @NameParam()
  @ApiOperation({ summary: 'Set a counter to 0' })
  @IdempotencyHeader()
  @ApiOkResponse({ type: CounterDto })
  @ApiUnprocessableEntityResponse({ description: 'Idempotency-Key reused with another request' })
  reset(
    @Param('name') name: string,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<CounterDto> {
    return this.counters.reset(name, idempotencyKey);
  }
}
