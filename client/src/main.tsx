// Entry: paints the app, then loads libsodium in the background.
import { render } from 'preact';
import { App } from './components/App.tsx';
import { preloadCrypto } from './lib/seal.ts';
import './styles.css';

render(<App />, document.getElementById('app')!);
preloadCrypto();
