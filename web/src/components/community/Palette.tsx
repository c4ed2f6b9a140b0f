import { useT } from '../../i18n';

/** A design's colour palette: swatches with their hex codes (text, not colour alone). */
export default function Palette({ colors, compact = false }: { colors: string[]; compact?: boolean }) {
  const t = useT();
  if (colors.length === 0) return null;
  return (
    <ul className={`palette${compact ? ' palette-compact' : ''}`} aria-label={t('community.palette')}>
      {colors.map((c) => (
        <li key={c} className="palette-item">
          <span className="palette-swatch" style={{ backgroundColor: c }} aria-hidden="true" />
          <span className={compact ? 'visually-hidden' : 'palette-code'}>{c}</span>
        </li>
      ))}
    </ul>
  );
}
