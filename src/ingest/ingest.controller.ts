import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { DeadLettersService } from './dead-letters.service';
import { DeadLettersQuery, MessageIdParam, RedriveDto } from './dto/queries.dto';
import {
  DeadLettersDto,
  NotAcceptedResponseDto,
  RedriveResponseDto,
  SendMessagesResponseDto,
  StoredMessageDto,
} from './dto/responses.dto';
import { SendMessagesDto } from './dto/send-messages.dto';
import { IngestService } from './ingest.service';
import { SendMessagesPipe, type SendMessagesInput } from './send-messages.pipe';
import { RequireScope } from '../common/auth/scope.decorator';

@ApiTags('ingest')
@ApiUnauthorizedResponse({ description: 'Missing or invalid X-API-Key' })
@Controller('v1/ingest')
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    private readonly deadLetters: DeadLettersService,
  ) {}

  @Post('messages')
  @RequireScope('ingest:write')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Queue 1-100 messages for storage',
    description:
      'Sent to SQS with SendMessageBatch; a consumer stores them in DynamoDB (one item per id). ' +
      'On 503, resend the notAccepted ids with the same ids.',
  })
  @ApiAcceptedResponse({ type: SendMessagesResponseDto, description: 'Every message is queued' })
  @ApiBadRequestResponse({
    description: 'Invalid body; `errors` names each field (e.g. messages.3.id)',
  })
  @ApiServiceUnavailableResponse({
    type: NotAcceptedResponseDto,
    description: 'SQS did not take all of them',
  })
  @ApiBody({ type: SendMessagesDto })
  async send(
    // An interface type, so the global pipe skips it: SendMessagesPipe validates.
    @Body(SendMessagesPipe) body: SendMessagesInput,
  ): Promise<SendMessagesResponseDto> {
    return { messages: await this.ingest.accept(body.messages) };
  }

  @Get('messages/:id')
  @RequireScope('ingest:read')
  @ApiOperation({ summary: 'A stored message' })
  @ApiOkResponse({ type: StoredMessageDto })
  @ApiBadRequestResponse({ description: 'Malformed id' })
  @ApiNotFoundResponse({ description: 'Not stored (yet)' })
  @ApiServiceUnavailableResponse({ description: 'DynamoDB is unavailable' })
  get(@Param() { id }: MessageIdParam): Promise<StoredMessageDto> {
    return this.ingest.get(id);
  }

  @Get('dead-letters')
  @RequireScope('ingest:admin')
  @ApiOperation({
    summary: 'Messages in the dead-letter queue',
    description: 'Peeks without consuming: each listed message is made visible again at once.',
  })
  @ApiOkResponse({ type: DeadLettersDto })
  @ApiBadRequestResponse({ description: 'limit out of 1-100' })
  @ApiServiceUnavailableResponse({ description: 'SQS is unavailable' })
  async listDeadLetters(@Query() q: DeadLettersQuery): Promise<DeadLettersDto> {
    const messages = await this.deadLetters.list(q.limit);
    return { messages, count: messages.length };
  }

  @Post('dead-letters/redrive')
  @RequireScope('ingest:admin')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Move dead letters back to the main queue',
    description: 'The body is optional: without one, `method` is auto and `limit` 1000.',
  })
  @ApiBody({ type: RedriveDto, required: false })
  @ApiAcceptedResponse({ type: RedriveResponseDto })
  @ApiBadRequestResponse({ description: 'Invalid method or limit' })
  @ApiServiceUnavailableResponse({ description: 'SQS is unavailable' })
  redrive(@Body() dto: RedriveDto = new RedriveDto()): Promise<RedriveResponseDto> {
    return this.deadLetters.redrive(dto.method ?? 'auto', dto.limit ?? 1000);
  }
}
