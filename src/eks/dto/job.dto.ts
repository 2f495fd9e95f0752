import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsDnsLabel } from '../../common/validation/dns-label';

export class EnvVarDto {
  @ApiProperty({ example: 'MODE' })
  @Matches(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, {
    message: '$property must be a valid environment variable name',
  })
  @MaxLength(256)
  name!: string;

  @ApiProperty({
    example: 'full',
    description: 'Literal value only: valueFrom (secrets, fields) is not accepted',
  })
  @IsString()
  @MaxLength(32_768)
  value!: string;
}

export class QuantitiesDto {
  @ApiPropertyOptional({ example: '250m' })
  @IsOptional()
  @Matches(/^\d+(\.\d+)?m?$/, { message: '$property must be a CPU quantity such as 250m or 1' })
  cpu?: string;
  @ApiPropertyOptional({ example: '256Mi' })
  @IsOptional()
  @Matches(/^\d+(\.\d+)?(k|M|G|T|Ki|Mi|Gi|Ti)?$/, {
    message: '$property must be a memory quantity such as 256Mi',
  })
  memory?: string;
}

export class ResourcesDto {
  @ApiPropertyOptional({ type: QuantitiesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuantitiesDto)
  requests?: QuantitiesDto;
  @ApiPropertyOptional({ type: QuantitiesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuantitiesDto)
  limits?: QuantitiesDto;
}

export class CreateJobDto {
  @ApiPropertyOptional({
    example: 'nightly-report',
    description: 'DNS-1123 label; when absent, `<JOB_NAME_PREFIX>-<random>`',
  })
  @IsOptional()
  @IsDnsLabel()
  name?: string;

  @ApiProperty({
    example: 'public.ecr.aws/docker/library/busybox:1.36',
    description: 'Must start with a JOB_IMAGE_ALLOWLIST prefix when that is set',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  image!: string;

  @ApiPropertyOptional({ type: [String], example: ['sh', '-c'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  command?: string[];

  @ApiPropertyOptional({ type: [String], example: ['echo hello'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @IsString({ each: true })
  @MaxLength(32_768, { each: true })
  args?: string[];

  @ApiPropertyOptional({ type: [EnvVarDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(128)
  @ValidateNested({ each: true })
  @Type(() => EnvVarDto)
  env?: EnvVarDto[];

  @ApiPropertyOptional({
    type: ResourcesDto,
    description: 'Defaults JOB_DEFAULT_CPU/MEMORY; at most JOB_MAX_CPU/MEMORY',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ResourcesDto)
  resources?: ResourcesDto;

  @ApiPropertyOptional({
    example: 0,
    description: 'Retries; default JOB_BACKOFF_LIMIT_DEFAULT, at most JOB_BACKOFF_LIMIT_MAX',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  backoffLimit?: number;

  @ApiPropertyOptional({
    example: 600,
    description: 'Run-time bound; default and maximum from config',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  activeDeadlineSeconds?: number;

  @ApiPropertyOptional({
    example: 3600,
    description: 'Deleted this long after finishing; default and maximum from config',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  ttlSecondsAfterFinished?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { team: 'a' },
  })
  @IsOptional()
  @IsObject()
  labels?: Record<string, string>;
}

export class JobConditionDto {
  @ApiProperty({ example: 'Complete' }) type!: string;
  @ApiProperty({ example: 'True' }) status!: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional() message?: string;
}

export class JobViewDto {
  @ApiProperty({ example: 'job-k3xq7ab2mz' }) name!: string;
  @ApiProperty({ example: 'team-a' }) namespace!: string;
  @ApiPropertyOptional({ description: 'The platform-api/job-id label' }) jobId?: string;
  @ApiProperty({ enum: ['pending', 'running', 'succeeded', 'failed'] }) state!: string;
  @ApiProperty() active!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({ nullable: true, type: String }) startTime!: string | null;
  @ApiProperty({ nullable: true, type: String }) completionTime!: string | null;
  @ApiProperty({ type: [JobConditionDto] }) conditions!: JobConditionDto[];
}

export class JobListDto {
  @ApiProperty({ type: [JobViewDto] }) items!: JobViewDto[];
}

export class LogsQueryDto {
  @ApiPropertyOptional({
    example: 100,
    description:
      'Last lines per pod; default JOB_LOG_TAIL_LINES_DEFAULT, at most JOB_LOG_TAIL_LINES_MAX',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  tailLines?: number;
}

export class PodLogDto {
  @ApiProperty() pod!: string;
  @ApiProperty({ example: 'Succeeded' }) phase!: string;
  @ApiProperty({ description: 'At most tailLines lines and JOB_LOG_LIMIT_BYTES bytes' })
  log!: string;
}

export class JobLogsDto {
  @ApiProperty() name!: string;
  @ApiProperty() namespace!: string;
  @ApiProperty() tailLines!: number;
  @ApiProperty({ type: [PodLogDto] }) pods!: PodLogDto[];
}

export class DeletedDto {
  @ApiProperty() name!: string;
  @ApiPropertyOptional() namespace?: string;
  @ApiProperty({ example: 'deleting' }) status!: string;
}
