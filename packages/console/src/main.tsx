import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { api } from './api/client.js';
import { signedInBefore } from './api/session-hint.js';
import { prefetchOverview } from './screens/overview/prefetch.js';
import './styles/base.css';
import './styles/layout.css';
import './styles/screens.css';

// Opening on the dashboard: the session check and then its graphs are asked for now, before the first
// render, in that order (a browser opens 6 connections to one origin: the session must not wait).
if (signedInBefore()) {
  api.prefetchSession();
  prefetchOverview(location.hash);
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
