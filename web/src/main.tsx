import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App';
import { startAuth } from './auth';
import { registerServiceWorker } from './push';
import { startNotifications } from './realtime/notifications';
import './styles/app.css';

startAuth();
startNotifications();
registerServiceWorker();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
