package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rampartsec/rampart/intel"
)

// reflagPage is how many indicators one pass of Reflag reads and rewrites per transaction.
const reflagPage = 2000

// Reflag recomputes the warninglist flags of every stored indicator against the lists in
// force and rewrites those that changed; it returns how many did. The list writes of this
// store (CreateWarninglist, ChangeWarninglist, AddWarninglist, RemoveWarninglist) call it, so
// an indicator already stored is flagged (or unflagged) as soon as a list changes, not only
// when it is next reported. Flags are derived data: no outbox event is written. It pages by
// id, one short transaction per page, so writers are never held up for long; an indicator
// written meanwhile is flagged by its own write against the same lists.
func (s *Store) Reflag(ctx context.Context) (int, error) {
	changed, after := 0, ""
	for {
		type row struct{ id, typ, value, flags string }
		var rows []row
		err := func() error {
			rs, err := s.db.QueryContext(ctx, `SELECT id, type, value, warninglists FROM intel_indicators WHERE id > ? ORDER BY id LIMIT ?`, after, reflagPage)
			if err != nil {
				return err
			}
			defer rs.Close()
			for rs.Next() {
				var r row
				if err := rs.Scan(&r.id, &r.typ, &r.value, &r.flags); err != nil {
					return err
				}
				rows = append(rows, r)
			}
			return rs.Err()
		}()
		if err != nil {
			return changed, fmt.Errorf("intel store: reflag: %w", err)
		}
		if len(rows) == 0 {
			return changed, nil
		}
		after = rows[len(rows)-1].id
		var updates []row
		for _, r := range rows {
			if f := jsonList(s.wl.Match(intel.Type(r.typ), r.value)); f != r.flags {
				r.flags = f
				updates = append(updates, r)
			}
		}
		if len(updates) == 0 {
			continue
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			st, err := tx.PrepareContext(ctx, `UPDATE intel_indicators SET warninglists = ? WHERE id = ?`)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, u := range updates {
				if _, err := st.ExecContext(ctx, u.flags, u.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return changed, fmt.Errorf("intel store: reflag: %w", err)
		}
		changed += len(updates)
	}
}
