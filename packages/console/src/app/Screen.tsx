import { lazy, Suspense } from 'react';
import type { Session } from '../api/types.js';
import type { Route } from './route.js';
import { canSee } from './nav.js';
import { Overview } from '../screens/overview/Overview.js';
import { Loading } from '../components/States.js';

// The overview is the first screen and comes with the app; every other screen is its own chunk,
// fetched when first opened, so the first load parses only what the dashboard needs.
const LogsList = lazy(() => import('../screens/logs/LogsList.js').then((m) => ({ default: m.LogsList })));
const LogDetail = lazy(() => import('../screens/logs/LogDetail.js').then((m) => ({ default: m.LogDetail })));
const TraceView = lazy(() => import('../screens/logs/TraceView.js').then((m) => ({ default: m.TraceView })));
const Keys = lazy(() => import('../screens/keys/Keys.js').then((m) => ({ default: m.Keys })));
const Credentials = lazy(() => import('../screens/credentials/Credentials.js').then((m) => ({ default: m.Credentials })));
const Configs = lazy(() => import('../screens/configs/Configs.js').then((m) => ({ default: m.Configs })));
const ConfigEditor = lazy(() => import('../screens/configs/ConfigEditor.js').then((m) => ({ default: m.ConfigEditor })));
const Prompts = lazy(() => import('../screens/prompts/Prompts.js').then((m) => ({ default: m.Prompts })));
const PromptEditor = lazy(() => import('../screens/prompts/PromptEditor.js').then((m) => ({ default: m.PromptEditor })));
const Guardrails = lazy(() => import('../screens/guardrails/Guardrails.js').then((m) => ({ default: m.Guardrails })));
const Workspaces = lazy(() => import('../screens/workspaces/Workspaces.js').then((m) => ({ default: m.Workspaces })));
const Exports = lazy(() => import('../screens/exports/Exports.js').then((m) => ({ default: m.Exports })));
const Account = lazy(() => import('../screens/account/Account.js').then((m) => ({ default: m.Account })));

/** Picks the screen for the route; a screen the role can't see is refused here as the API would. */
export function Screen({ session, route }: { session: Session; route: Route }) {
  const [top = 'overview'] = route.segments;
  if (!canSee(session, top)) {
    return <section><h1 tabIndex={-1}>Not available</h1><p>This screen does not exist, or your role ({session.role.replace('_', ' ')}) can't open it. Pick one from the menu.</p></section>;
  }
  return <Suspense fallback={<Loading what="the screen" />}><ScreenFor session={session} route={route} /></Suspense>;
}

function ScreenFor({ session, route }: { session: Session; route: Route }) {
  const [top = 'overview', id, sub] = route.segments;
  const props = { session, route };
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
