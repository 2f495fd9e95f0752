import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { LoggerModule, type Params } from 'nestjs-pino';
import { CommonModule } from './common/common.module';
import { CompatModule } from './compat/compat.module';
import { allConfigs, loadEnv, type AppRole } from './config';
import { CounterModule } from './counter/counter.module';
import { EksModule } from './eks';
import { HealthModule } from './health/health.module';
import { IngestModule } from './ingest';
import { AwsModule } from './infra/aws';
import { KubernetesModule } from './infra/kubernetes';
import { RedisModule } from './infra/redis';
import { ObservabilityModule } from './observability/observability.module';
import { RootController } from './root.controller';
import { TasksModule } from './tasks';

/**
 * Feature modules. Each has `static forRole(role)`: its controllers only where the API is
 * served (`api`, `all`), its workers/consumers only in `worker` and `all`, its exported service
 * everywhere (another feature's worker may need it).
 */
const features = (role: AppRole): DynamicModule[] => [
  CounterModule.forRole(role),
  EksModule.forRole(role),
  TasksModule.forRole(role),
  IngestModule.forRole(role),
  CompatModule.forRole(role),
];

/** Composes the app; APP_ROLE decides what starts. */
@Module({})
export class AppModule {
  static register(logger: Params): DynamicModule {
    const { APP_ROLE: role } = loadEnv();
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: allConfigs }),
        LoggerModule.forRoot(logger),
        CommonModule,
        RedisModule,
        AwsModule,
        KubernetesModule,
        ObservabilityModule,
        HealthModule,
        ...features(role),
      ],
      controllers: role !== 'worker' ? [RootController] : [],
    };
  }
}
