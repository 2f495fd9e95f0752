import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { CommonModule } from './common/common.module';
import { allConfigs, appConfig, loadEnv, type AppConfig } from './config';
import { HealthModule } from './health/health.module';
import { AwsModule } from './infra/aws';
import { KubernetesModule } from './infra/kubernetes';
import { RedisModule } from './infra/redis';
import { loggerParams } from './observability/logger';
import { ObservabilityModule } from './observability/observability.module';
import { RootController } from './root.controller';

/**
 * Composes the app. APP_ROLE decides what starts: `api` serves the REST API, `worker` runs
 * consumers and serves only /health and /metrics, `all` does both.
 */
@Module({})
export class AppModule {
  static register(): DynamicModule {
    const env = loadEnv();
    const servesApi = env.APP_ROLE !== 'worker';
    const imports: ModuleMetadata['imports'] = [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: allConfigs }),
      LoggerModule.forRootAsync({ inject: [appConfig.KEY], useFactory: (c: AppConfig) => loggerParams(c) }),
      CommonModule,
      RedisModule,
      AwsModule,
      KubernetesModule,
      ObservabilityModule,
      HealthModule,
    ];
    return { module: AppModule, imports, controllers: servesApi ? [RootController] : [] };
  }
}
