import { ApolloProvider } from '@apollo/client';
import { BrowserRouter } from 'react-router-dom';
import { client } from './apollo';
import { I18nProvider } from './i18n';
import AppRoutes from './routes';

export default function App() {
  return (
    <ApolloProvider client={client}>
      <I18nProvider>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </I18nProvider>
    </ApolloProvider>
  );
}
