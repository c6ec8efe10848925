/** ConverseStream events (messageStart ... metadata) → OpenAI chunks. Pure. */
import { tryParseJson } from '../upstream-error.js';
import type { ChatChunk, FramedEvent } from '../types.js';
import { finishReasonFromBedrock, usageFromBedrock } from './converse-response.js';
import { badEvent, deltaChunk, reasoningText, redactedReasoning, signedReasoning, toolIndex, truncated, usageChunk, type BedrockStreamState } from './stream-state.js';
import { isObject } from './wire.js';

export function fromConverseStreamEvent(s: BedrockStreamState, ev: FramedEvent): ChatChunk[] {
  const type = ev.headers?.[':event-type'] ?? ev.event ?? '';
  s.lastEvent = type;
  const p = tryParseJson(ev.data);
  if (!isObject(p)) throw badEvent(type, 'does not carry a JSON object payload');
  switch (type) {
    case 'messageStart':
      return [deltaChunk(s, { content: '' })];
    case 'contentBlockStart': {
      const start = isObject(p.start) ? p.start : {};
      if (!isObject(start.toolUse)) return [];
      const block = Number(p.contentBlockIndex ?? 0);
      const { index } = toolIndex(s, block);
      const t = start.toolUse;
      return [deltaChunk(s, { tool_calls: [{ index, id: String(t.toolUseId), type: 'function', function: { name: String(t.name), arguments: '' } }] })];
    }
    case 'contentBlockDelta': {
      const d = isObject(p.delta) ? p.delta : undefined;
      if (!d) throw badEvent(type, 'has no delta');
      if (typeof d.text === 'string') return d.text === '' ? [] : [deltaChunk(s, { content: d.text })];
      if (isObject(d.toolUse)) {
        const block = Number(p.contentBlockIndex ?? 0);
        const { index, isNew } = toolIndex(s, block);
        const args = typeof d.toolUse.input === 'string' ? d.toolUse.input : '';
        if (isNew) throw badEvent(type, `carries tool input for block ${block}, which no contentBlockStart opened`);
        return args === '' ? [] : [deltaChunk(s, { tool_calls: [{ index, function: { arguments: args } }] })];
      }
      if (isObject(d.reasoningContent)) {
        const rc = d.reasoningContent;
        const block = Number(p.contentBlockIndex ?? 0);
        if (typeof rc.text === 'string') return reasoningText(s, block, rc.text);
        if (typeof rc.signature === 'string') return signedReasoning(s, block, rc.signature);
        if (typeof rc.redactedContent === 'string') return redactedReasoning(s, rc.redactedContent);
        return [];
      }
      return []; // citations, images, tool-result deltas: nothing an OpenAI chunk carries.
    }
    case 'contentBlockStop':
      return [];
    case 'messageStop': {
      s.stopped = true;
      s.finishReason = finishReasonFromBedrock(p.stopReason) ?? 'stop';
      return [deltaChunk(s, {}, s.finishReason)];
    }
    case 'metadata': {
      s.metadataSeen = true;
      s.usage = usageFromBedrock(isObject(p.usage) ? p.usage : {});
      return s.includeUsage ? [usageChunk(s, s.usage)] : [];
    }
    default:
      return []; // Events added to ConverseStream later are skipped, not fatal.
  }
}

export function finishConverseStream(s: BedrockStreamState): ChatChunk[] {
  if (!s.stopped) throw truncated('messageStop', s);
  if (!s.metadataSeen) throw truncated('its metadata event (usage)', s);
  return [];
}
