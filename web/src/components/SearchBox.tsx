import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useApolloClient } from '@apollo/client';
import { useLocation, useNavigate } from 'react-router-dom';
import { SearchSuggestionsDocument, type SearchSuggestionsQuery } from '../gql/graphql';
import { useT } from '../i18n';
import '../styles/search.css';

type Suggestion = SearchSuggestionsQuery['searchSuggestions'][number];

/** Milliseconds between the last keystroke and the suggestions request. */
const DEBOUNCE_MS = 60;

/**
 * The header's search box: type-ahead suggestions from the first keystroke
 * (ARIA 1.2 combobox with a listbox popup), Enter searches at /search?q=.
 * Every keystroke starts a new request after a short debounce; an answer
 * that is no longer the latest one is dropped (and its request aborted).
 */
export default function SearchBox() {
  const t = useT();
  const client = useApolloClient();
  const navigate = useNavigate();
  const location = useLocation();
  const id = useId();
  const listId = `${id}-list`;
  const inputRef = useRef<HTMLInputElement>(null);

  const [value, setValue] = useState('');
  const [items, setItems] = useState<Suggestion[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);

  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const abort = useRef<AbortController | null>(null);

  // On /search the box shows the query being looked at.
  useEffect(() => {
    if (location.pathname === '/search') {
      setValue(new URLSearchParams(location.search).get('q') ?? '');
    }
    setOpen(false);
    setActive(-1);
  }, [location.pathname, location.search]);

  useEffect(
    () => () => {
      clearTimeout(timer.current);
      abort.current?.abort();
    },
    [],
  );

  const request = useCallback(
    (prefix: string) => {
      const mine = ++seq.current;
      clearTimeout(timer.current);
      abort.current?.abort();
      abort.current = null;
      if (!prefix.trim()) {
        setItems([]);
        setActive(-1);
        return;
      }
      timer.current = setTimeout(() => {
        const controller = new AbortController();
        abort.current = controller;
        client
          .query({
            query: SearchSuggestionsDocument,
            variables: { prefix: prefix.trim(), first: 8 },
            fetchPolicy: 'cache-first',
            context: { fetchOptions: { signal: controller.signal } },
          })
          .then((result) => {
            if (mine !== seq.current) return; // a newer keystroke won
            setItems(result.data?.searchSuggestions ?? []);
            setActive(-1);
          })
          .catch(() => {
            if (mine !== seq.current) return;
            setItems([]);
            setActive(-1);
          });
      }, DEBOUNCE_MS);
    },
    [client],
  );

  const go = (text: string) => {
    const q = text.trim();
    if (!q) return;
    seq.current++; // answers still on their way are stale now
    clearTimeout(timer.current);
    abort.current?.abort();
    setItems([]);
    setOpen(false);
    setActive(-1);
    setValue(q);
    navigate(`/search?q=${encodeURIComponent(q)}`);
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    go(active >= 0 && items[active] ? items[active].text : value);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    const count = items.length;
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        setOpen(true);
        if (count) setActive((i) => (i + 1) % count);
        break;
      case 'ArrowUp':
        e.preventDefault();
        setOpen(true);
        if (count) setActive((i) => (i <= 0 ? count - 1 : i - 1));
        break;
      case 'Escape':
        if (open && count) {
          e.preventDefault();
          setOpen(false);
          setActive(-1);
        } else if (value) {
          e.preventDefault();
          setValue('');
          request('');
        }
        break;
      case 'Enter':
        // The form's submit does the work (it reads the active option).
        break;
      default:
        break;
    }
  };

  const expanded = open && items.length > 0;
  const activeId = expanded && active >= 0 ? `${id}-opt-${active}` : undefined;

  return (
    <form className="searchbox" role="search" onSubmit={onSubmit} aria-label={t('search.title')}>
      <label htmlFor={`${id}-input`} className="visually-hidden">
        {t('search.boxLabel')}
      </label>
      <div className="searchbox-field">
        <input
          ref={inputRef}
          id={`${id}-input`}
          type="text"
          inputMode="search"
          enterKeyHint="search"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={activeId}
          autoComplete="off"
          spellCheck={false}
          placeholder={t('search.boxPlaceholder')}
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
            setOpen(true);
            request(e.target.value);
          }}
          onFocus={() => {
            if (items.length) setOpen(true);
          }}
          onBlur={() => {
            setOpen(false);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
        />
        <ul id={listId} role="listbox" aria-label={t('search.suggestions')} className="searchbox-list" hidden={!expanded}>
          {items.map((s, i) => (
            <li
              key={`${s.type}-${s.id}`}
              id={`${id}-opt-${i}`}
              role="option"
              aria-selected={i === active}
              data-testid="search-suggestion"
              className={i === active ? 'searchbox-option is-active' : 'searchbox-option'}
              // Keep the focus in the input while choosing with the pointer.
              onMouseDown={(e) => e.preventDefault()}
              onMouseMove={() => setActive(i)}
              onClick={() => go(s.text)}
            >
              <span className="searchbox-text">{s.text}</span>
              <span className="searchbox-type">{t(`search.type${s.type}`)}</span>
            </li>
          ))}
        </ul>
      </div>
      <button type="submit" className="btn searchbox-submit">
        {t('search.boxSubmit')}
      </button>
      <span className="visually-hidden" role="status" aria-live="polite">
        {expanded ? t('search.suggestionsCount', { count: items.length }) : ''}
      </span>
    </form>
  );
}

export { SearchBox };
