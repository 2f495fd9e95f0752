import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { TASK_STATUSES, type TaskStatus } from '../task.types';

const CURSOR = /^[A-Za-z0-9_-]{1,1024}$/;

export class ListTasksQuery {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional({ example: 'echo', minLength: 1, maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  type?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({
    description:
      'nextCursor of the previous page, as returned (omit the parameter for the first page); ' +
      'a cursor this API did not return for these filters is a 400',
    pattern: CURSOR.source,
    // Opaque: the pattern is necessary, not sufficient (the contract test does not invent one).
    ...({ 'x-opaque': true } as Record<string, unknown>),
  })
  @IsOptional()
  @Matches(CURSOR, { message: 'cursor must be a cursor this API returned' })
  cursor?: string;
}
