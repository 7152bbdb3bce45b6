// How a message becomes a command ([D4], design §4): a bash command, or the message handed to the
// environment's agentCommand as its last argument (never spliced into shell text).
import type { Command } from './sandbox.ts';

export function messageCommand(text: string, agentCommand: string): Command {
  if (!agentCommand.trim()) return { command: 'bash', args: ['--noprofile', '--norc', '-c', text] };
  return {
    command: 'bash',
    args: ['--noprofile', '--norc', '-c', `${agentCommand} "$1"`, 'viber-agent', text],
  };
}
