import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';
import { IsDnsLabel } from '../../common/validation/dns-label';

export class EksCreateJobDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'A batch/v1 Job manifest; accepted only if it passes the job policy, then rebuilt in the safe shape',
    example: {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'job-container', image: 'busybox', command: ['echo', 'Hello'] }],
          },
        },
      },
    },
  })
  @IsObject()
  job_manifest!: Record<string, unknown>;

  @ApiProperty({ example: 'team-a' })
  @IsDnsLabel()
  namespace!: string;
}

export class EksJobQuery {
  @ApiProperty({ example: 'job-k3xq7ab2mz' }) @IsDnsLabel() job_name!: string;
  @ApiProperty({ example: 'team-a' }) @IsDnsLabel() namespace!: string;
}

export class EksNamespaceDto {
  @ApiProperty({ example: 'team-a' }) @IsDnsLabel() namespace_name!: string;
}

export class EksJobStatusDto {
  @ApiProperty() job_name!: string;
  @ApiProperty() namespace!: string;
  @ApiProperty({ enum: ['pending', 'running', 'succeeded', 'failed'] }) state!: string;
  @ApiProperty() active!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({ nullable: true, type: String }) start_time!: string | null;
  @ApiProperty({ nullable: true, type: String }) completion_time!: string | null;
}

export class EksResultDto {
  @ApiProperty({ example: 'success' }) status!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ required: false }) job_name?: string;
  @ApiProperty({ required: false }) namespace?: string;
  @ApiProperty({ required: false }) namespace_name?: string;
}
