// One emulator in a process of its own: `node scripts/stack/emulator-server.ts sqs|dynamo`.
// Prints the port when listening; stops on SIGTERM. Benchmarks use it so the emulators, standing in
// for AWS services, do not share a JavaScript thread with the load generator.
import { startDynamo, startSqs } from './aws.ts';

async function main(): Promise<void> {
  const kind = process.argv[2];
  if (kind !== 'sqs' && kind !== 'dynamo') throw new Error('usage: emulator-server.ts sqs|dynamo');
  const emulator = await (kind === 'sqs' ? startSqs() : startDynamo());
  process.stdout.write(`${emulator.port}\n`);
  process.once('SIGTERM', () => void emulator.stop().then(() => process.exit(0)));
}

void main();
