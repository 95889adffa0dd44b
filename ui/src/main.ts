import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import Prompter from './pages/Prompter.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
// The prompter window loads the same page with #prompter (and no first frame of the shell).
const prompter = window.location.hash === '#prompter';
if (prompter) document.getElementById('boot')?.remove();
export default mount(prompter ? Prompter : App, { target });
