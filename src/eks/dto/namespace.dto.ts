import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional } from 'class-validator';
import { IsDnsLabel } from '../../common/validation/dns-label';

export class CreateNamespaceDto {
  @ApiProperty({
    example: 'team-a',
    description: 'DNS-1123 label; kube-*, default and the service’s own namespace are refused',
  })
  @IsDnsLabel()
  name!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { team: 'a' },
    description:
      'Extra labels; managed-by and pod-security labels are set by the service and cannot be given',
  })
  @IsOptional()
  @IsObject()
  labels?: Record<string, string>;
}

export class NamespaceViewDto {
  @ApiProperty({ example: 'team-a' }) name!: string;
  @ApiProperty({ description: 'Created and managed by platform-api' }) managed!: boolean;
  @ApiProperty({ example: 'Active', description: 'Active or Terminating' }) phase!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels!: Record<
    string,
    string
  >;
  @ApiProperty({ nullable: true, type: String, example: '2026-01-20T10:30:00.000Z' }) createdAt!:
    string | null;
}

export class NamespaceListDto {
  @ApiProperty({ type: [NamespaceViewDto] }) items!: NamespaceViewDto[];
}
