import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_BY } from '../counter.rules';

export class IncrementCounterDto {
  @ApiPropertyOptional({
    description: 'Amount to add; negative subtracts',
    type: 'integer',
    default: 1,
    minimum: -MAX_BY,
    maximum: MAX_BY,
    example: 5,
  })
  @IsOptional()
  @IsInt()
  @Min(-MAX_BY)
  @Max(MAX_BY)
  by?: number;
}
