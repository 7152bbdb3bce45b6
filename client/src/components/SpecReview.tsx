// "Changed outside this app — review" ([T10]): the stored execution spec is not one the user signed, so
// Save does not sign it (that would sign the fields the user never saw change); Approve shows it in full.
import { useApp } from '../app-context.ts';

export function SpecReview({ envId }: { envId: string }) {
  const app = useApp();
  const standing = app.signing.review.value.specs.get(envId);
  if (!standing) return null;
  const known = app.signing.review.value.changes.get(envId);
  return (
    <div class="callout warn row wrap" role="status" data-testid="spec-review" data-standing={standing}>
      <span class="grow">
        <strong>
          {standing === 'rolled back' ? 'An older version — review' : 'Changed outside this app — review'}
        </strong>
        {'. '}
        {standing === 'rolled back'
          ? `This is an older version than the one you signed (version ${known?.knownVersion ?? '?'}).`
          : standing === 'unsigned'
            ? 'What it runs was changed without your signature (on the server, through the API, or on a device without your key).'
            : 'What it runs no longer matches your signature: it was changed after you signed it.'}{' '}
        Saving here does not sign it, and your pinned Vibers will not prepare it until you review it in full
        and approve it.
      </span>
      <button
        type="button"
        class="btn small primary"
        onClick={() => app.router.go({ view: 'trust' })}
        data-testid="spec-review-open"
      >
        Review
      </button>
    </div>
  );
}
