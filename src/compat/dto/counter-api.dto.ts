import { ApiProperty } from '@nestjs/swagger';

export class CounterApiReadDto {
  @ApiProperty({ type: 'integer', example: 42 })
  value!: number;

  @ApiProperty({ example: '2026-01-01T12:00:00.000Z', description: 'ISO 8601, UTC' })
  timestamp!: string;
}

export class CounterApiWriteDto extends CounterApiReadDto {
  @ApiProperty({ enum: ['increment', 'reset'] })
  operation!: 'increment' | 'reset';
}

export class CounterApiErrorDto {
  @ApiProperty({ example: 'API key required' })
  error!: string;
}
