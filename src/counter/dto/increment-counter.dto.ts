import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
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
  // Absent means 1; an explicit null is a wrong type, not "absent".
  @ValidateIf((_, v) => v !== undefined)
  @IsInt()
  @Min(-MAX_BY)
  @Max(MAX_BY)
  by?: number;
}
