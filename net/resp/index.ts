// The RESP codec: request parser and reply encoder (server side), command encoder and
// reply parser (client side), and their limits.
export { defaultRespLimits, defaultRespReplyLimits, type RespLimits, type RespReplyLimits } from './limits';
export { RespRequestParser, ProtocolErrors, type ParseEvent } from './parser';
export { ReplyWriter, encodeReply, encodeCommand, replyDepthMax, type Proto } from './encoder';
export { RespReplyParser, type ReplyParseFailure } from './reply-parser';
export { formatDouble } from './double';
export { splitInlineArgs } from './inline';
