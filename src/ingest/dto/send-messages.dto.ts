import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { MESSAGE_ID, MESSAGE_ID_HINT } from '../envelope';

export const MAX_MESSAGES_PER_REQUEST = 100;

export class IngestMessageDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Any JSON object; stored as a native DynamoDB map',
    example: { orderId: 42, items: ['a', 'b'] },
  })
  @IsObject({ message: 'payload must be a JSON object' })
  payload!: Record<string, unknown>;

  @ApiPropertyOptional({
    pattern: MESSAGE_ID.source,
    maxLength: 128,
    description:
      'Idempotency key: the same id sent again never makes a second item. A UUID when absent.',
    example: 'order-42',
  })
  @IsOptional()
  @Matches(MESSAGE_ID, { message: `id ${MESSAGE_ID_HINT}` })
  id?: string;

  @ApiPropertyOptional({
    maxLength: 128,
    description: 'Free-form origin of the message',
    example: 'checkout',
  })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  source?: string;
}

export class SendMessagesDto {
  @ApiProperty({ type: [IngestMessageDto], minItems: 1, maxItems: MAX_MESSAGES_PER_REQUEST })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MESSAGES_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => IngestMessageDto)
  messages!: IngestMessageDto[];
}
