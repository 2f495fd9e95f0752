import { ApiProperty } from '@nestjs/swagger';

export class CounterDto {
  @ApiProperty({ example: 'page-views' })
  name!: string;

  @ApiProperty({ type: 'integer', example: 42, description: 'Within ±(2^53−1)' })
  value!: number;
}
