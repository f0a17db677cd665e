"""Documents: the attendance list (PDF and XLSX), the programme (DOCX), the problem map (PNG).

Each module is a pure function from plain data to bytes, CPU work run off the event loop
(bot/offload.py). Heavy libraries (fpdf2, openpyxl, python-docx, matplotlib) are imported
inside the functions, so the bot starts without loading them.
"""
