import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { LoggerModule, type Params } from 'nestjs-pino';
import { CommonModule } from './common/common.module';
import { CompatModule } from './compat/compat.module';
import { allConfigs, appConfig, tasksConfig } from './config';
import { CounterModule } from './counter';
import { EksModule } from './eks';
import { HealthModule } from './health';
import { IngestModule } from './ingest';
import { AwsModule } from './infra/aws';
import { KubernetesModule } from './infra/kubernetes';
import { RedisModule } from './infra/redis';
import { ObservabilityModule } from './observability/observability.module';
import { RootController } from './root.controller';
import { TasksModule } from './tasks';

/**
 * Feature modules, each `XModule.forRole(role)` built by roleModule: its core (services) in every
 * role, controllers only where the API is served (`api`, `all`), workers only in `worker` and
 * `all`. Composition reads the typed configuration once, here.
 */
function features(): DynamicModule[] {
  const { role } = appConfig();
  return [
    CounterModule.forRole(role),
    EksModule.forRole(role),
    TasksModule.forRole(role, { queueUi: tasksConfig().queueUiEnabled }),
    IngestModule.forRole(role),
    CompatModule.forRole(role),
  ];
}

/** Composes the app; APP_ROLE decides what starts. */
@Module({})
export class AppModule {
  static register(logger: Params): DynamicModule {
    const { servesApi } = appConfig();
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
        ...features(),
      ],
      controllers: servesApi ? [RootController] : [],
    };
  }
}
