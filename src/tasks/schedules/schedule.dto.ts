import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  IsDefined,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY } from '../task.types';
import { CrossFieldRules } from '../../common/openapi/cross-field';

export const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const NAME_RULE = 'name must be 1-64 chars of [A-Za-z0-9_.-]';
export const MIN_EVERY_MS = 1000;
export const MAX_EVERY_MS = 31 * 24 * 3600 * 1000;

export class ScheduleTaskDto {
  @ApiProperty({ example: 'echo', description: 'A task type (built-in or external)' })
  @IsString()
  @MaxLength(64)
  type!: string;

  @ApiPropertyOptional({ description: 'Validated by the type at creation, like POST /v1/tasks' })
  @Allow()
  payload?: unknown;

  @ApiPropertyOptional({ minimum: MIN_PRIORITY, maximum: MAX_PRIORITY, default: DEFAULT_PRIORITY })
  @IsOptional()
  @IsInt()
  @Min(MIN_PRIORITY)
  @Max(MAX_PRIORITY)
  priority?: number;
}

@CrossFieldRules({
  name: 'nightly-report',
  cron: '0 3 * * *',
  tz: 'Europe/Paris',
  task: { type: 'echo', payload: { report: 'nightly' } },
})
export class CreateScheduleDto {
  @ApiProperty({ description: 'The schedule id', pattern: SCHEDULE_NAME_PATTERN.source })
  @Matches(SCHEDULE_NAME_PATTERN, { message: NAME_RULE })
  name!: string;

  @ApiPropertyOptional({
    description: 'Cron pattern (5 or 6 fields); exactly one of cron and everyMs',
    example: '0 3 * * *',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  cron?: string;

  @ApiPropertyOptional({
    description: 'IANA time zone of the cron pattern',
    example: 'Europe/Paris',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  tz?: string;

  @ApiPropertyOptional({
    description: 'Fixed interval in ms; exactly one of cron and everyMs',
    minimum: MIN_EVERY_MS,
    maximum: MAX_EVERY_MS,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_EVERY_MS)
  @Max(MAX_EVERY_MS)
  everyMs?: number;

  @ApiProperty({ type: ScheduleTaskDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ScheduleTaskDto)
  task!: ScheduleTaskDto;

  @ApiPropertyOptional({ format: 'date-time', description: 'No task before this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  startAt?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'No task after this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  endAt?: string;
}

export class ScheduleNameParams {
  @ApiProperty({ pattern: SCHEDULE_NAME_PATTERN.source })
  @Matches(SCHEDULE_NAME_PATTERN, { message: NAME_RULE })
  name!: string;
}

export class ScheduleDto {
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) cron!: string | null;
  @ApiProperty({ nullable: true, type: String }) tz!: string | null;
  @ApiProperty({ nullable: true, type: Number }) everyMs!: number | null;
  @ApiProperty({ type: ScheduleTaskDto }) task!: ScheduleTaskDto;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) startAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) endAt!: string | null;
  @ApiProperty({
    type: [String],
    description: 'The next run times (up to 5), as BullMQ will create them',
  })
  nextRuns!: string[];
}

export class ScheduleListDto {
  @ApiProperty({ type: [ScheduleDto] }) items!: ScheduleDto[];
}
