import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class QueuedMessageDto {
  @ApiProperty({ example: 'order-42' }) id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
}

export class SendMessagesResponseDto {
  @ApiProperty({ type: [QueuedMessageDto] }) messages!: QueuedMessageDto[];
}

export class NotAcceptedResponseDto {
  @ApiProperty({ example: 503 }) statusCode!: number;
  @ApiProperty({ example: 'Service Unavailable' }) error!: string;
  @ApiProperty({ example: 'SQS is unavailable, retry later' }) message!: string;
  @ApiProperty() requestId!: string;
  @ApiProperty({ type: [String], description: 'Queued: do not resend' }) accepted!: string[];
  @ApiProperty({
    type: [String],
    description: 'Not confirmed by SQS: resend with the same ids (storage keeps one item per id)',
  })
  notAccepted!: string[];
}

export class StoredMessageDto {
  @ApiProperty({ example: 'order-42' }) id!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: Record<string, unknown>;
  @ApiPropertyOptional({ example: 'checkout' }) source?: string;
  @ApiProperty({ format: 'date-time', description: 'When the API accepted it' })
  acceptedAt!: string;
  @ApiProperty({ format: 'date-time', description: 'When the consumer stored it' })
  storedAt!: string;
  @ApiProperty({ type: 'integer', description: 'SQS receive count of the delivery that stored it' })
  receiveCount!: number;
}

export class DeadLetterDto {
  @ApiProperty({ description: 'SQS MessageId in the DLQ' }) messageId!: string;
  @ApiPropertyOptional({
    description: 'The first of `ids` (kept for clients of single-message bodies)',
  })
  id?: string;
  @ApiProperty({
    type: [String],
    description:
      'Our ids of every message in the body (one SQS message may carry a pack of them); empty when poison',
  })
  ids!: string[];
  @ApiProperty({ description: 'The raw body (first 4096 characters)' }) body!: string;
  @ApiProperty({ type: 'integer' }) bodyBytes!: number;
  @ApiProperty({ type: 'integer' }) receiveCount!: number;
  @ApiPropertyOptional({ format: 'date-time' }) sentAt?: string;
}

export class DeadLettersDto {
  @ApiProperty({ type: [DeadLetterDto] }) messages!: DeadLetterDto[];
  @ApiProperty({ type: 'integer' }) count!: number;
}

export class RedriveResponseDto {
  @ApiProperty({ enum: ['move-task', 'manual'] }) method!: 'move-task' | 'manual';
  @ApiPropertyOptional({ description: 'move-task: the SQS task handle' }) taskHandle?: string;
  @ApiProperty({
    description:
      'SQS messages moved (manual) or being moved (move-task, approximate); one may carry several of ours',
  })
  count!: number;
  @ApiPropertyOptional({
    type: [String],
    description: 'manual: our ids of every message in the moved SQS messages',
  })
  ids?: string[];
  @ApiPropertyOptional({
    description:
      'auto that ran manual: why the move task could not be started (error name, class, message)',
  })
  fallbackReason?: string;
}
