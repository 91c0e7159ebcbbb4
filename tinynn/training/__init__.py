"""The book's training loop and what keeps it exact: the trainer, its checkpoint state,
Ctrl-C handling and divergence.

``trainer`` (:class:`~tinynn.Trainer`), ``state`` (a run's whole state, to a checkpoint
and back), ``interruption`` (Ctrl-C at an iteration boundary; the all-or-nothing update),
``divergence`` (NaN or infinity told in terms of the learning rate).

Book section
------------
4.5.2 (mini-batch learning), 4.5.3 (evaluation per epoch)
"""
