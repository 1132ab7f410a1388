import { EXIT, type CliContext } from './context';
import { csvLine, table } from './output';

/**
 * `d4ai config`: the effective configuration, after the environment, --settings FILE and the
 * flags, with where each value came from; secrets masked. It validates like every other command
 * (a bad setting exits 2 naming it), so it also answers "would the deployed settings load?".
 */
export function configCommand(ctx: CliContext): number {
  const rows = ctx.settings.map((s) => [s.name, s.value || '-', s.source]);
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify({ settings: ctx.settings, records: ctx.ports.records.description }, null, 2));
  } else if (ctx.format === 'csv') {
    ctx.out(['name,value,source', ...ctx.settings.map((s) => csvLine([s.name, s.value, s.source]))].join('\n'));
  } else {
    ctx.out(table(['SETTING', 'VALUE', 'SOURCE'], rows, ctx.width));
    ctx.out('');
    ctx.out(`Records go to ${ctx.ports.records.description}.`);
  }
  return EXIT.ok;
}
