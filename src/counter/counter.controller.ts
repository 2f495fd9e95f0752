import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { IDEMPOTENCY_KEY_HEADER } from './counter.rules';
import { CounterService } from './counter.service';
import { CounterNameParams } from './dto/counter-name.params';
import { CounterDto } from './dto/counter.dto';
import { IncrementCounterDto } from './dto/increment-counter.dto';

const IdempotencyHeader = () =>
  ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    description:
      '1-128 visible ASCII characters. A retry with the same key and request returns the first response ' +
      'without applying again; the same key with another request answers 422. Keys expire after ' +
      'COUNTER_IDEMPOTENCY_TTL_SECONDS.',
  });

@ApiTags('counters')
@ApiUnauthorizedResponse({ description: 'Missing or invalid X-API-Key' })
@ApiBadRequestResponse({ description: 'Invalid name, body or Idempotency-Key; the field is named' })
@ApiServiceUnavailableResponse({ description: 'Redis is unavailable; retry later' })
@Controller('v1/counters')
export class CounterController {
  constructor(private readonly counters: CounterService) {}

  @Get(':name')
  @ApiOperation({ summary: 'Read a counter (0 if it was never written; reading never writes)' })
  @ApiOkResponse({ type: CounterDto })
  get(@Param() { name }: CounterNameParams): Promise<CounterDto> {
    return this.counters.get(name);
  }

  @Post(':name/increment')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add `by` (default 1) atomically and return the new value' })
  @IdempotencyHeader()
  @ApiOkResponse({ type: CounterDto })
  @ApiUnprocessableEntityResponse({
    description: 'Idempotency-Key reused with another request, or the result would leave ±(2^53−1)',
  })
  increment(
    @Param() { name }: CounterNameParams,
    @Body() body: IncrementCounterDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<CounterDto> {
    return this.counters.increment(name, body.by ?? 1, idempotencyKey);
  }

  @Post(':name/reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set a counter to 0' })
  @IdempotencyHeader()
  @ApiOkResponse({ type: CounterDto })
  @ApiUnprocessableEntityResponse({ description: 'Idempotency-Key reused with another request' })
  reset(
    @Param() { name }: CounterNameParams,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<CounterDto> {
    return this.counters.reset(name, idempotencyKey);
  }
}
