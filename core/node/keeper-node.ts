// A Keeper as a node of the Keepsake network: it speaks only KeeperMsg, so anything else that
// reaches it (a misrouted client request, say) is dropped with a note instead of tripping the
// Keeper's exhaustive switch.

import type { Machine } from '../../net/types';
import type { Keeper } from '../keeper/keeper';
import type { KeeperMsg } from '../keeper/messages';
import { keeperMsgIsRequest } from '../keeper/messages';
import type { NodeMsg } from './protocol';

export function isKeeperMsg(m: NodeMsg): m is KeeperMsg {
  return Object.hasOwn(keeperMsgIsRequest, m.type);
}

export function keeperNode(keeper: Keeper): Machine<NodeMsg> {
  return {
    step(input, nowMs) {
      if (input.type === 'message' && !isKeeperMsg(input.msg)) return [{ type: 'note', text: `keeper ignores ${input.msg.type} from ${input.from}` }];
      return keeper.step(input as Parameters<Keeper['step']>[0], nowMs) as ReturnType<Machine<NodeMsg>['step']>;
    },
  };
}
