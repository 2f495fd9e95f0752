import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { MESSAGE_ID, MESSAGE_ID_HINT } from '../envelope';

export class MessageIdParam {
  @ApiProperty({ description: 'Message id', pattern: MESSAGE_ID.source, example: 'order-42' })
  @Matches(MESSAGE_ID, { message: `id ${MESSAGE_ID_HINT}` })
  id!: string;
}

export class DeadLettersQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 10;
}

export class RedriveDto {
  @ApiPropertyOptional({
    enum: ['auto', 'manual'],
    default: 'auto',
    description:
      'auto: StartMessageMoveTask where the endpoint supports it, else manual (receive/send/delete)',
  })
  @IsOptional()
  @IsIn(['auto', 'manual'])
  method: 'auto' | 'manual' = 'auto';

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 10_000,
    default: 1000,
    description: 'manual: most messages to move',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  limit = 1000;
}
