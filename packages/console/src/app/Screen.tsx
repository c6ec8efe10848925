import type { Session } from '../api/types.js';
import type { Route } from './route.js';
import { canSee } from './nav.js';
import { Overview } from '../screens/overview/Overview.js';
import { LogsList } from '../screens/logs/LogsList.js';
import { LogDetail } from '../screens/logs/LogDetail.js';
import { TraceView } from '../screens/logs/TraceView.js';
import { Keys } from '../screens/keys/Keys.js';
import { Credentials } from '../screens/credentials/Credentials.js';
import { Configs } from '../screens/configs/Configs.js';
import { ConfigEditor } from '../screens/configs/ConfigEditor.js';
import { Prompts } from '../screens/prompts/Prompts.js';
import { PromptEditor } from '../screens/prompts/PromptEditor.js';
import { Guardrails } from '../screens/guardrails/Guardrails.js';
import { Workspaces } from '../screens/workspaces/Workspaces.js';
import { Exports } from '../screens/exports/Exports.js';
import { Account } from '../screens/account/Account.js';

/** Picks the screen for the route; a screen the role can't see is refused here as the API would. */
export function Screen({ session, route }: { session: Session; route: Route }) {
  const [top = 'overview', id, sub] = route.segments;
  const props = { session, route };
  if (!canSee(session, top)) {
    return <section><h1 tabIndex={-1}>Not available</h1><p>This screen does not exist, or your role ({session.role.replace('_', ' ')}) can't open it. Pick one from the menu.</p></section>;
  }
  switch (top) {
    case 'overview': return <Overview {...props} />;
    case 'logs': return id ? <LogDetail {...props} id={id} /> : <LogsList {...props} />;
    case 'traces': return <TraceView {...props} traceId={id ?? ''} />;
    case 'keys': return <Keys {...props} />;
    case 'credentials': return <Credentials {...props} />;
    case 'configs': return id ? <ConfigEditor {...props} slug={id === 'new' ? undefined : id} /> : <Configs {...props} />;
    case 'prompts': return id ? <PromptEditor {...props} id={id === 'new' ? undefined : id} tab={sub} /> : <Prompts {...props} />;
    case 'guardrails': return <Guardrails {...props} />;
    case 'workspaces': return <Workspaces {...props} />;
    case 'exports': return <Exports {...props} />;
    case 'account': return <Account {...props} />;
    default: return null;
  }
}

export interface ScreenProps {
  session: Session;
  route: Route;
}
